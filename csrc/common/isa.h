// Instruction-set paths for the CPU kernels. Each fast path is compiled into its own translation
// unit with its own -m flags; the path is picked once at import from what the CPU supports
// (MDLFAST_ISA may force a slower one), so one binary runs on every x86-64 machine.
#pragma once

namespace mdlfast {

enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

const char* isa_name(Isa isa);
// Parses "generic", "avx2" or "avx512"; returns false on any other name.
bool parse_isa(const char* name, Isa* isa);
// True when both the CPU and the operating system support the path.
bool isa_supported(Isa isa);
Isa best_supported_isa();

Isa active_isa();
// The caller checks isa_supported() first; kernels dispatch on active_isa().
void set_active_isa(Isa isa);

}  // namespace mdlfast
