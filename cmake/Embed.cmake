# Embeds text files into a generated C++ source as {name, contents} pairs, so the stdlib
# ships inside the sbxc binary and needs no installation path.
function(sbx_embed_files OUTPUT VARIABLE)
  set(inputs ${ARGN})
  # The list travels with "|" between items: a ";" would split the shell command.
  string(REPLACE ";" "|" joined "${inputs}")
  add_custom_command(
    OUTPUT ${OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${OUTPUT} -DVARIABLE=${VARIABLE}
            -DBASE=${CMAKE_CURRENT_SOURCE_DIR} "-DINPUTS=${joined}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake
    DEPENDS ${inputs} ${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake
    COMMENT "Embedding ${VARIABLE}"
    VERBATIM)
endfunction()
