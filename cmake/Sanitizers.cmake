# ASan + UBSan for the sanitizer configuration (scripts/build.sh asan); the tests run under it in CI.
# UBSan alone (SBXC_SANITIZE_UNDEFINED) for the fuzzer's fast exploring build (docs/fuzzing.md),
# without the vptr check: it looks up the dynamic type of every polymorphic object on every
# member call, comparing class names with strcmp, which halved the rate; the ASan replay keeps it.
if(SBXC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(SBXC_SANITIZE_UNDEFINED)
  add_compile_options(-fsanitize=undefined -fno-sanitize=vptr -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=undefined -fno-sanitize=vptr)
endif()
