// The synthetic customers every benchmark uses, a pure function of an index
// i (0-based), so the vault loader, the in-process floor benchmark, the wrk
// scripts and the PostgreSQL peer (bench/pg/load.sql spells the same rules in
// SQL) all hold and look up the same people. Nothing here is real PII.
#pragma once

#include <cstdint>
#include <string>

namespace vault::bench {

// "customer<i>@shop<i % 100>.example"
std::string EmailOf(int64_t i);
// "+1416" followed by 7 digits: a valid Canadian (Toronto) number in E.164.
std::string PhoneOf(int64_t i);
// "<first> <last>" from two lists of 16 names.
std::string NameOf(int64_t i);

}  // namespace vault::bench
