// `sbxc import docker-seccomp`: a Docker / OCI seccomp profile -> an equivalent .sbx task.
//
// The profile is stated literally for one architecture and one capability set (Docker's default
// unless told otherwise): rules whose `includes` / `excludes` name other capabilities or
// architectures are resolved here, since .sbx has no such conditions, and listed as notes. The
// task switches the tier baselines off, so that `sbxc compile` of it gives a filter equivalent
// to libseccomp's compilation of the profile for that architecture.
#pragma once
#include <string>
#include <vector>

#include "model/enums.h"

namespace sbx::importers {

// Docker's default capability set (moby's oci/caps/defaults.go).
const std::vector<std::string>& dockerDefaultCapabilities();

struct DockerImportOptions {
  std::string fileName;  // for diagnostics and the header comment
  std::string taskName;  // empty: derived from the file name
  model::Arch arch = model::Arch::X86_64;
  std::vector<std::string> capabilities = dockerDefaultCapabilities();  // "CAP_..." names
  // false: arguments compared as wide as the kernel reads them (an `int` on its low 32 bits);
  // true: on all 64 bits, as libseccomp does, for a filter equal to libseccomp's bit for bit.
  bool sixtyFourBitArguments = false;
};

struct DockerImport {
  std::string sbx;                 // the policy text
  std::vector<std::string> notes;  // what the text could not state, one sentence each
};

// False with `error` set ("FILE:LINE:COL: ..." for malformed JSON, "FILE: /json/pointer: ..."
// for a value the profile format does not allow) on bad input.
bool importDockerSeccomp(const std::string& json, const DockerImportOptions& options, DockerImport& out,
                         std::string& error);

}  // namespace sbx::importers
