// `sbx-run approve RUN REQUEST`, `sbx-run deny RUN REQUEST`, `sbx-run pending RUN`: the client
// side of a run's approval socket (approval_socket.h), as commands.
#pragma once
#include <string>
#include <vector>

namespace sbx::run {

bool isApprovalCommand(const std::string& word);
// Runs the command (`args` after the command's word); the exit status: 0 done, 1 refused by the
// run (the message says why), 2 a usage error, 125 the run could not be reached.
int runApprovalCommand(const std::string& command, const std::vector<std::string>& args);

}  // namespace sbx::run
