#include "bench_data.h"

namespace vault::bench {
namespace {

// Keep in sync with bench/pg/load.sql.
constexpr const char* kFirst[16] = {"Amelia", "Noah",   "Olivia", "Liam",  "Emma", "Jacob",
                                    "Chloe",  "Lucas",  "Léa",    "Félix", "Maya", "Ethan",
                                    "Zoé",    "Samuel", "Aisha",  "Wei"};
constexpr const char* kLast[16] = {"Tremblay", "Gagnon", "Roy",      "Côté", "Bouchard", "Smith",
                                   "Brown",    "Wilson", "Martin",   "Lee",  "Nguyen",   "Singh",
                                   "Patel",    "Chen",   "Gauthier", "Morin"};

}  // namespace

std::string EmailOf(int64_t i) {
  return "customer" + std::to_string(i) + "@shop" + std::to_string(i % 100) + ".example";
}

std::string PhoneOf(int64_t i) {
  // Exchanges 200..999 (a leading 0 or 1 is invalid in the NANP).
  return "+1416" + std::to_string(2000000 + i % 8000000);
}

std::string NameOf(int64_t i) { return std::string(kFirst[i % 16]) + " " + kLast[(i / 16) % 16]; }

}  // namespace vault::bench
