// Lint of network destinations: wildcard-egress (SBX1202), metadata-reachable (SBX1203),
// dns-destination (SBX1232: sbx-run's proxy and socket broker refuse port 53 whatever the rules).
#include <fmt/format.h>

#include <cstdint>

#include "classifier/facts.h"
#include "classifier/rules/context.h"

namespace sbx::classifier {

namespace {
constexpr std::uint16_t kDnsPort = 53;
}  // namespace

void lintEgress(const LintContext& c, FindingSink& sink) {
  for (const auto* d : model::allDestinations(c.task)) {
    if (isWildcardEgress(*d))
      sink.add(RuleId::WildcardEgress, d->origin.span,
               d->kind == model::Destination::Kind::Wildcard
                   ? fmt::format("egress to {} reaches every host under {}", d->text, d->host)
                   : fmt::format("egress to {} reaches any host", d->text));
    if (auto endpoint = metadataReached(*d))
      sink.add(RuleId::MetadataReachable, d->origin.span,
               fmt::format("egress to {} can reach the cloud metadata service at {}", d->text, *endpoint));
    if (d->portLow == kDnsPort && d->portHigh == kDnsPort)
      sink.add(RuleId::DnsDestination, d->origin.span,
               fmt::format("egress to {} is DNS, which leaves the sandbox only through sbx-run's stub", d->text));
  }
}

}  // namespace sbx::classifier
