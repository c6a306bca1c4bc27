// The verifier child of a task actor: checks what the execution produced,
// answers the verification result, exits.
#pragma once

#include "messages/interfaces.hpp"

namespace ce::verifier {

verifier_actor::behavior_type verifier_behavior(verifier_actor::pointer self);

}  // namespace ce::verifier
