# Generates the C++ parser from grammar/*.g4 with Debian's antlr4 tool at build time.
# Debian's antlr4_generate() helper is broken (NoClassDefFoundError), so the tool is called
# directly. The runtime headers are SYSTEM includes (they warn) and the static runtime needs uuid.
find_program(ANTLR4_TOOL antlr4 REQUIRED)
find_path(ANTLR4_INCLUDE_DIR antlr4-runtime.h PATH_SUFFIXES antlr4-runtime REQUIRED)
find_library(ANTLR4_STATIC_LIB libantlr4-runtime.a REQUIRED)
find_library(UUID_LIB uuid REQUIRED)

add_library(antlr4_runtime INTERFACE)
target_include_directories(antlr4_runtime SYSTEM INTERFACE ${ANTLR4_INCLUDE_DIR})
target_link_libraries(antlr4_runtime INTERFACE ${ANTLR4_STATIC_LIB} ${UUID_LIB})
