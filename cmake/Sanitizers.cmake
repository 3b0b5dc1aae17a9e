# ASan + UBSan for the sanitizer configuration (scripts/build.sh asan); the tests run under it in CI.
if(SBXC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
