# Run by `cmake --install` with BEAT_UNIT set to a unit file: writes it to lib/systemd/system under
# the install prefix (and DESTDIR), with every path it names under /usr/local/ moved under the
# prefix, so that ExecStart= finds the installed binary whatever the prefix.
file(READ "${BEAT_UNIT}" text)
string(REPLACE "/usr/local/" "${CMAKE_INSTALL_PREFIX}/" text "${text}")
get_filename_component(name "${BEAT_UNIT}" NAME)
set(dest "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib/systemd/system/${name}")
message(STATUS "Installing: ${dest}")
file(WRITE "${dest}" "${text}")
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${dest}")
