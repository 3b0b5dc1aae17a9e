# Warnings are errors in project code; generated and third-party code is exempt.
add_library(sbx_warnings INTERFACE)
target_compile_options(sbx_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough -Werror
  # GCC 12 reports std::string concatenation at -O3 as overlapping memcpy (GCC bug 105329).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
