# Run by `cmake --install` (and by CPack) with BEAT_UNIT set to a unit file: writes it to
# lib/systemd/system under the install prefix (and DESTDIR), with every path it names under
# /usr/local/ moved under the prefix, so that ExecStart= finds the installed binary whatever the
# prefix. The Debian packages also set BEAT_UNIT_DIR (the absolute unit directory, /lib/systemd/system)
# and BEAT_DOC_DIR (the package's documentation directory, which Documentation= then names).
file(READ "${BEAT_UNIT}" text)
if(DEFINED BEAT_DOC_DIR)
  string(REPLACE "/usr/local/share/doc/beat/" "${BEAT_DOC_DIR}/" text "${text}")
endif()
string(REPLACE "/usr/local/" "${CMAKE_INSTALL_PREFIX}/" text "${text}")
if(NOT DEFINED BEAT_UNIT_DIR)
  set(BEAT_UNIT_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
get_filename_component(name "${BEAT_UNIT}" NAME)
set(dest "$ENV{DESTDIR}${BEAT_UNIT_DIR}/${name}")
message(STATUS "Installing: ${dest}")
file(WRITE "${dest}" "${text}")
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${dest}")
