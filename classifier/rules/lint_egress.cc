// Lint of network destinations: wildcard-egress (SBX1202), metadata-reachable (SBX1203).
#include <fmt/format.h>

#include "classifier/facts.h"
#include "classifier/rules/context.h"

namespace sbx::classifier {

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
  }
}

}  // namespace sbx::classifier
