// The user namespace: who the payload runs as, and the id maps that make it so.
//
// Run by a user: that user, the only id there is (rootless). Run by root: the sandbox's init stays
// root inside (it builds the root filesystem; files it creates need an owner the namespace can
// name) and the payload switches to the workspace's owner when that is not root, else nobody
// (65534); never root.
#pragma once
#include <sys/types.h>

#include <string>

namespace sbx::run {

struct Identity {
  uid_t uid;
  gid_t gid;
};

Identity payloadIdentity(const std::string& workspace);

// The texts of uid_map, setgroups and gid_map, made before the sandbox exists: the launcher
// writes them while the sandbox's init shares its memory and it must not allocate.
struct IdMaps {
  std::string uidMap, setgroups, gidMap;
};
IdMaps idMapsFor(const Identity& id);

// Writes the maps of `child`'s user namespace: system calls on the prepared texts only.
bool writeIdMaps(pid_t child, const IdMaps& maps);

}  // namespace sbx::run
