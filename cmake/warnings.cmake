# Warnings we hold the code to; -Werror only where asked (ZCP_WERROR), so a
# newer compiler's new warning never breaks a user's build.
option(ZCP_WERROR "Treat warnings as errors" OFF)
function(zcp_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
    -Wconversion -Wno-sign-conversion -Wnull-dereference -Wimplicit-fallthrough)
  # GCC 12 (Debian 12) reports std::string and std::variant internals as
  # -Wrestrict / -Wmaybe-uninitialized false positives (GCC PR105329, PR107138).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-maybe-uninitialized)
  endif()
  if(ZCP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
