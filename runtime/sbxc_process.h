// sbx-run runs sbxc for what it does not link: compiling a policy on a cache miss, and signing
// tokens (`sbxc token mint`). A launcher that starts on every task stays small, and the signing
// code (OpenSSL) loads only for tasks that have secrets.
#pragma once
#include <string>
#include <vector>

namespace sbx::run {

// $SBXC, beside sbx-run, in the build tree, or on PATH.
std::string findSbxc();

// Runs sbxc with `args`, `input` on its stdin; its stdout into `output` (dropped when null),
// its stderr into `diagnostics`, or to ours when that is null. The exit status, or -1 with
// `error` when it could not run.
int runSbxc(const std::vector<std::string>& args, const std::string& input, std::string* output, std::string& error,
            std::string* diagnostics = nullptr);

}  // namespace sbx::run
