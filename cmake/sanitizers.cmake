# ZCP_SANITIZE=address,undefined or ZCP_SANITIZE=thread builds everything
# (library, binary, tests) instrumented; `make test-asan` / `make test-tsan`.
set(ZCP_SANITIZE "" CACHE STRING "Sanitizers to build with (address,undefined | thread)")
if(ZCP_SANITIZE)
  add_compile_options(-fsanitize=${ZCP_SANITIZE} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${ZCP_SANITIZE})
  if(ZCP_SANITIZE MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()
