"""tcpkali_fuzz_target: one libFuzzer target and its corpus replay test."""

def tcpkali_fuzz_target(name, srcs, deps):
    """Declares the three rules of fuzz target `name`.

    <name>_lib   the target's LLVMFuzzerTestOneInput, alwayslink so that the
                 symbol reaches the binaries that only reference it.
    <name>       the libFuzzer binary. tags = ["manual"]: it links libFuzzer's
                 main, which exists only under clang, so `bazel build //...`
                 skips it; run-fuzzers.sh builds it with --config=fuzz.
    <name>_test  a cc_test that replays corpus/<name>/ through the target
                 under the normal gcc build (replay_test.cc).

    Args:
      name: the target name, "<what>_fuzz"; its corpus is corpus/<name>/.
      srcs: the .cc file(s) that define LLVMFuzzerTestOneInput.
      deps: the libraries under test.
    """
    native.cc_library(
        name = name + "_lib",
        testonly = True,
        srcs = srcs,
        deps = deps + [
            "//testing/fuzz:fuzz_check",
            "//testing/fuzz:fuzz_input",
        ],
        alwayslink = True,
    )
    native.cc_binary(
        name = name,
        testonly = True,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual"],
        deps = [":" + name + "_lib"],
    )
    corpus = "testing/fuzz/corpus/" + name
    native.cc_test(
        name = name + "_test",
        size = "small",
        srcs = ["replay_test.cc"],
        data = native.glob(["corpus/" + name + "/*"]),
        local_defines = ["TCPKALI_FUZZ_CORPUS=\\\"" + corpus + "\\\""],
        deps = [
            ":" + name + "_lib",
            "//testing:doctest_main",
        ],
    )
