# `cmake --install BUILD [--prefix DIR]`: the four programs side by side in bin/ (sbx-run finds
# sbxc, sbx-tool-gate and sbx-inspect beside its own executable, runtime/sbxc_process.cc,
# tool_gates.cc and inspector_process.cc),
# the documentation in share/doc/sbxc/ and the example policies in share/sbxc/examples/.
# tests/docs/install_test.sh installs into a temporary prefix and runs an example from there.
include(GNUInstallDirs)

install(TARGETS sbxc sbx-run sbx-tool-gate sbx-inspect RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES runtime/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/runtime)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sbxc/examples)
# The JSON Schemas of sbxc's outputs (docs/contracts.md), for tools that validate them.
install(DIRECTORY schemas/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sbxc/schemas)
