"""Repository rule exposing Debian's system libraries as cc_library targets.

Each library's link options and defines are read from pkg-config when the repository is
fetched, in the order pkg-config gives them, so the build follows the installed packages.
Headers live in /usr/include, which the toolchain already searches.

Libraries are linked from their static archives where Debian ships one, so a binary maps
only the code it uses: with the shared objects, gRPC, protobuf and abseil alone put ~8 MiB
of library pages in every daemon's resident set. The exceptions are in _SHARED: the C
runtime, and the libraries Debian's cpp-httplib (shared-only) loads anyway; and every
library under --define=system_libraries=shared.
"""

# Selects the shared objects everywhere (set by --config=tsan: its Mutex annotations
# interpose on libabsl's symbols, which works only across shared objects).
_SHARED_SETTING = "@//third_party:shared_system_libraries"

_LIBDIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib"]

# Linked from their shared objects even where an archive exists.
_SHARED = [
    "c",
    "m",
    "dl",
    "rt",
    "pthread",
    "atomic",
    "ssl",
    "crypto",
    "z",
    "brotlicommon",
    "brotlidec",
    "brotlienc",
]

# target name -> (pkg-config modules, extra linkopts)
_LIBRARIES = {
    "absl": ([
        "absl_status",
        "absl_statusor",
        "absl_strings",
        "absl_str_format",
        "absl_time",
        "absl_synchronization",
        "absl_flat_hash_map",
        "absl_flat_hash_set",
        "absl_node_hash_map",
        "absl_btree",
        "absl_hash",
        "absl_random_random",
        "absl_cleanup",
        "absl_span",
        "absl_inlined_vector",
        "absl_int128",
        "absl_optional",
        "absl_variant",
        "absl_function_ref",
        "absl_any_invocable",
        "absl_flags",
        "absl_flags_parse",
    ], []),
    "protobuf": (["protobuf"], []),
    "grpcpp": (["grpc++"], []),
    "httplib": (["cpp-httplib"], []),
    "openssl": (["openssl"], []),
    "libnl": (["libnl-3.0", "libnl-route-3.0"], []),
    "yaml_cpp": (["yaml-cpp"], []),
    "nlohmann_json": (["nlohmann_json"], []),
    "doctest": ([], []),
    "pthread": ([], ["-lpthread"]),
}

def _pkg_config(ctx, flags, modules):
    if not modules:
        return []
    result = ctx.execute(["pkg-config"] + flags + modules)
    if result.return_code != 0:
        fail("pkg-config %s %s failed: %s (run tools/install.sh)" % (" ".join(flags), " ".join(modules), result.stderr))
    return [f for f in result.stdout.strip().split(" ") if f]

def _prefer_archives(ctx, flags):
    """Rewrites -lX as -l:libX.a where the archive exists and X is not in _SHARED.

    Each archive is kept at its last position only: pkg-config lists a library after
    everything that needs it, so its last position comes after all its users.
    """
    out = []
    for f in flags:
        if f.startswith("-l") and f[2:] not in _SHARED:
            for d in _LIBDIRS:
                if ctx.path("%s/lib%s.a" % (d, f[2:])).exists:
                    f = "-l:lib%s.a" % f[2:]
                    break
        out.append(f)
    last = {}
    for i, f in enumerate(out):
        last[f] = i
    return [f for i, f in enumerate(out) if not f.startswith("-l:") or last[f] == i]

def _system_libraries_impl(ctx):
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, (modules, extra) in _LIBRARIES.items():
        static = _prefer_archives(ctx, _pkg_config(ctx, ["--static", "--libs"], modules)) + extra
        shared = _pkg_config(ctx, ["--libs"], modules) + extra
        cflags = _pkg_config(ctx, ["--cflags"], modules)
        defines = [f[2:] for f in cflags if f.startswith("-D")]

        # Non-default include directories (libnl's) are linked into this repository so that
        # `includes` can export them to dependents.
        includes = []
        for f in cflags:
            if f.startswith("-I"):
                local = "inc/%s/%s" % (name, f[2:].rstrip("/").split("/")[-1])
                ctx.symlink(f[2:], local)
                includes.append(local)
        build.append("cc_library(")
        build.append("    name = %r," % name)
        if includes:
            build.append("    hdrs = glob([%s]),"  % ", ".join(["%r" % (i + "/**/*.h") for i in includes]))
            build.append("    includes = %r," % includes)
        build.append("    linkopts = select({")
        build.append("        %r: %r," % (_SHARED_SETTING, shared))
        build.append("        \"//conditions:default\": %r," % static)
        build.append("    }),")
        build.append("    defines = %r," % defines)
        build.append(")")
        build.append("")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD.bazel", "\n".join(build))

system_libraries = repository_rule(
    implementation = _system_libraries_impl,
    local = True,
    environ = ["PATH"],
)
