// The customer the HTTP tests create and look up: how a cashier types her
// contact details, how the vault stores them, and how a masked view shows
// them. One definition, so every test agrees on what "masked" looks like.
#pragma once

namespace vault::testing::jane {

constexpr char kEmail[] = "jane.doe@example.com";        // as stored
constexpr char kEmailTyped[] = " Jane.Doe@Example.COM";  // as typed
constexpr char kPhone[] = "+15145550199";                // as stored (E.164)
constexpr char kPhoneTyped[] = "(514) 555-0199";         // as typed
constexpr char kPhoneNational[] = "5145550199";          // its digits, for leak checks
constexpr char kName[] = "Jane Doe";
constexpr char kEmailMask[] = "j•••@e•••.com";
constexpr char kPhoneMask[] = "•••-•••-0199";
constexpr char kNameMask[] = "J••• D•••";

}  // namespace vault::testing::jane
