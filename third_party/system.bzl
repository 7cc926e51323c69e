"""Repository rule exposing Debian's system libraries as cc_library targets.

Each library's link options and defines are read from pkg-config when the repository is
fetched, in the order pkg-config gives them, so the build follows the installed packages.
Headers live in /usr/include, which the toolchain already searches.
"""

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

def _pkg_config(ctx, flag, modules):
    if not modules:
        return []
    result = ctx.execute(["pkg-config", flag] + modules)
    if result.return_code != 0:
        fail("pkg-config %s %s failed: %s (run tools/install.sh)" % (flag, " ".join(modules), result.stderr))
    return [f for f in result.stdout.strip().split(" ") if f]

def _system_libraries_impl(ctx):
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, (modules, extra) in _LIBRARIES.items():
        linkopts = _pkg_config(ctx, "--libs", modules) + extra
        cflags = _pkg_config(ctx, "--cflags", modules)
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
        build.append("    linkopts = %r," % linkopts)
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
