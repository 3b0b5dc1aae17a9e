// sbx-run's exit status: the payload's own status passes through; the launcher's failures use
// the codes below (the conventions of env(1) and timeout(1)), after a message on stderr saying
// what failed and why.
#pragma once

namespace sbx::run {

enum Exit : int {
  kTimeout = 124,          // the task's wall-clock timeout expired; the whole sandbox was killed
  kLauncherFailure = 125,  // bad usage, an invalid plan, or a setup step of the sandbox failed
  kCannotExecute = 126,    // the command exists but could not be executed
  kNotFound = 127,         // the command does not exist inside the sandbox
  kSignalBase = 128,       // the payload died of signal N: 128 + N
};

}  // namespace sbx::run
