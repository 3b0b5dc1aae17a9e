// The exporters' classes, one per target; each is defined in the file of its name.
#pragma once
#include "exporters/exporter.h"

namespace sbx::exporters {

// vault.cc: a HashiCorp Vault policy (HCL) and token-role parameters per secret.
class VaultExporter final : public Exporter {
 public:
  std::string_view name() const override { return "vault"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

// aws_iam.cc: an AWS IAM session policy and AssumeRole parameters per secret.
class AwsIamExporter final : public Exporter {
 public:
  std::string_view name() const override { return "aws-iam"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

// docker_seccomp.cc: the filter as a Docker / Podman seccomp profile.
class DockerSeccompExporter final : public Exporter {
 public:
  std::string_view name() const override { return "docker-seccomp"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

// oci.cc: an OCI runtime bundle (config.json) for runc and crun, and run.sh to run it.
class OciExporter final : public Exporter {
 public:
  std::string_view name() const override { return "oci"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

// k8s.cc: Kubernetes manifests (a Job, its ServiceAccount and egress policies) and the seccomp
// profile with its node installer.
class K8sExporter final : public Exporter {
 public:
  std::string_view name() const override { return "k8s"; }
  ExportResult exportTask(const ExportInput& input) const override;
  bool takesImage() const override { return true; }
};

// systemd.cc: a hardened systemd service unit, its command supplied by a drop-in.
class SystemdExporter final : public Exporter {
 public:
  std::string_view name() const override { return "systemd"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

// bwrap.cc: a bash script that runs the task under bubblewrap, and the filter it loads.
class BwrapExporter final : public Exporter {
 public:
  std::string_view name() const override { return "bwrap"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

}  // namespace sbx::exporters
