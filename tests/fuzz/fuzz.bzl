"""Fuzz targets that also run as ordinary tests.

lb_fuzz_target(name, srcs, deps, corpus) makes two targets from one source file that
defines LLVMFuzzerTestOneInput:

  <name>          the libFuzzer binary (tag "fuzz_target", manual): build it with clang and
                  --config=fuzz; tools/test.sh runs each one for a fixed time budget.
  <name>_replay   a cc_test that feeds every file of `corpus` and a fixed set of seeded
                  mutations of them through the same entry point, so the ordinary suite
                  and the ASan/UBSan suite exercise the parser on hostile input too.
"""

def lb_fuzz_target(name, srcs, deps = [], corpus = None):
    corpus_files = native.glob([corpus + "/**"]) if corpus else []
    native.cc_test(
        name = name + "_replay",
        srcs = srcs,
        deps = deps + ["//tests/fuzz:replay_main"],
        data = corpus_files,
        args = [native.package_name() + "/" + corpus] if corpus else [],
        tags = ["fuzz_replay"],
    )
    native.cc_binary(
        name = name,
        testonly = True,
        srcs = srcs,
        deps = deps,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual", "fuzz_target"],
    )
