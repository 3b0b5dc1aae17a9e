# Generates the C++ parser from grammar/*.g4 with Debian's antlr4 tool at build time.
# Debian's antlr4_generate() helper is broken (NoClassDefFoundError), so the tool is called
# directly. The runtime headers are SYSTEM includes (they warn) and the static runtime needs uuid.
find_program(ANTLR4_TOOL antlr4 REQUIRED)
find_path(ANTLR4_INCLUDE_DIR antlr4-runtime.h PATH_SUFFIXES antlr4-runtime REQUIRED)
find_library(ANTLR4_STATIC_LIB libantlr4-runtime.a REQUIRED)
find_library(UUID_LIB uuid REQUIRED)

# The runtime's umbrella header pulls in misc/InterpreterDataReader.h, which clang rejects
# (a struct default-constructs a Vocabulary whose const std::vector members have no
# initializer). sbxc never uses it, so the umbrella is copied without that line and the copy is
# found first; every other header still comes from the runtime.
set(ANTLR4_COMPAT_DIR ${CMAKE_BINARY_DIR}/antlr4-compat)
file(READ ${ANTLR4_INCLUDE_DIR}/antlr4-runtime.h ANTLR4_UMBRELLA)
string(REPLACE "#include \"misc/InterpreterDataReader.h\"" "" ANTLR4_UMBRELLA "${ANTLR4_UMBRELLA}")
file(WRITE ${ANTLR4_COMPAT_DIR}/antlr4-runtime.h.tmp "${ANTLR4_UMBRELLA}")
file(COPY_FILE ${ANTLR4_COMPAT_DIR}/antlr4-runtime.h.tmp ${ANTLR4_COMPAT_DIR}/antlr4-runtime.h ONLY_IF_DIFFERENT)

add_library(antlr4_runtime INTERFACE)
target_include_directories(antlr4_runtime SYSTEM INTERFACE ${ANTLR4_COMPAT_DIR} ${ANTLR4_INCLUDE_DIR})
target_link_libraries(antlr4_runtime INTERFACE ${ANTLR4_STATIC_LIB} ${UUID_LIB})
