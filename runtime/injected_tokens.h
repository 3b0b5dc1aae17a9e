// Secrets the inspecting proxy injects into a tool's requests (plan.json: task.secrets[].injection)
// and the broker mints. plan.json's `tokens` leaves them out, since nothing of them may reach the
// sandbox; the launcher adds their token scopes here, exposed to nobody (ExposureKind::Inject), so
// that the broker mints and revokes them like every other token and only the inspector gets them.
// Subject and lifetime follow the compiler's token plan (plan/token_rules.h): the task's identity,
// the secret's ttl (15 minutes by default), never past the task's timeout.
#pragma once
#include "plan/plan.h"

namespace sbx::run {

// Whether the plan injects a secret the broker must mint (not a `source file` one).
bool plansMintedInjection(const plan::Plan& plan);

// `plan` with a token scope added for each minted injected secret.
plan::Plan withInjectedTokens(const plan::Plan& plan);

}  // namespace sbx::run
