#pragma once
// Typed parameters from parsed fields, for the field groups several paths share (schema.hpp
// declares the groups): each reads a group once, at the edge, into the engine's vocabulary.
// Values outside a field's choices were already refused by the field parser; what only a
// combination of values can refuse is refused here, naming the field.
#include <string>

#include "api/fields.hpp"
#include "engine/types.hpp"
#include "x509/build.hpp"

namespace pki::api {

// format and private_key_format (absent fields: pem, der).
engine::OutputFormat output_format(const Fields& f);
engine::CertFormat cert_format(const Fields& f);
// key_type / key_bits, normalized (bits 0: the type's default).
crypto::KeySpec key_spec(const Fields& f);
// The subject_fields() group.
x509::Subject subject(const Fields& f);
// The san_fields() group.
engine::SanRequest san_request(const Fields& f);
// ttl / not_after / not_before_duration (30s when the path has none); a not_after that is not a
// time is left unset, its text kept, for the operation to refuse (see engine::ValidityRequest).
engine::ValidityRequest validity_request(const Fields& f);
// The ca_constraint_fields() group.
engine::CaConstraints ca_constraints(const Fields& f);
// An optional string field: nullopt when it was not given.
std::optional<std::string> given_str(const Fields& f, const std::string& name);

}  // namespace pki::api
