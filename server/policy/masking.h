// Masked renderings of contact fields for principals whose access level is
// `masked`: enough for a cashier to confirm "yes, that is the one" with the
// customer, never enough to recover the value. Each hidden part is shown as
// "•••" (U+2022 x3) whatever its length, so a mask does not leak lengths.
// Inputs are expected to be normalized (service/contact_normalizer.h); any
// input that does not have the expected shape masks to "•••" rather than risk
// showing more. All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace vault::policy {

// "jane.doe@example.com" -> "j•••@e•••.com",
// "x@mail.example.co.uk" -> "x•••@m•••.uk": the first character of the local
// part and of the first domain label, and the top-level label. Returns "•••"
// unless the input has exactly one '@', a non-empty local part and a domain
// with at least two non-empty labels, all printable ASCII.
std::string MaskEmail(std::string_view normalized_email);

// "+15145550199" (NANP) -> "•••-•••-0199"; "+442079460123" -> "+44 ••• 0123":
// the country code outside NANP and the last four digits. Returns "•••" when
// the input does not parse as an international number or its national
// significant number has fewer than 8 digits (showing four of them would
// reveal too much).
std::string MaskPhone(std::string_view e164);

// "Jane Doe" -> "J••• D•••", "Émile Zola" -> "É••• Z•••": the first UTF-8
// character of each whitespace-separated word. Returns "•••" for a name with
// no words; a word whose first character is not well-formed UTF-8 masks to
// "•••".
std::string MaskName(std::string_view name);

}  // namespace vault::policy
