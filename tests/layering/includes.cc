// Compiled only by the layering_* ctest cases (CMakeLists.txt): one object
// library per case links one room's library and includes the header that
// VAULT_LAYERING_HEADER names. A header of the room itself, or of a room
// below it, must compile; a header of a room above it must fail with "No
// such file", because that room's include root is not on the path.
#include VAULT_LAYERING_HEADER
