# The Debian packages beat-server and beat-client, made by CPack's DEB generator from this tree:
#   cmake --build build --target deb     (or scripts/packages.sh): builds beat_server and
#                                        beat_client only, then runs CPack into build/packages
# Each package holds its binary in /usr/bin with its manual page, its unit in /lib/systemd/system,
# its example configuration as the conffile /etc/beat/beat-server.toml (beat-client.toml), its
# lintian overrides, and the README, a changelog and the copyright in /usr/share/doc/beat-server
# (beat-client). Depends: comes from dpkg-shlibdeps; the version is the project's. The install
# rules below are EXCLUDE_FROM_ALL, so that a plain `cmake --install` lays out the tree as
# systemd/CMakeLists.txt describes.

set(BEAT_PACKAGE_MAINTAINER "beat maintainers <maintainers@users.noreply.h-seed-237da23f.example>"
  CACHE STRING "The Maintainer: field of the Debian packages")

set(debian_src ${CMAKE_CURRENT_LIST_DIR}/debian)
set(debian_out ${PROJECT_BINARY_DIR}/debian)

# The changelog's date honours SOURCE_DATE_EPOCH, so that a rebuild can make the same packages.
string(TIMESTAMP BEAT_PACKAGE_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${debian_src}/changelog.in ${debian_out}/changelog @ONLY)
execute_process(COMMAND gzip -9n -c ${debian_out}/changelog OUTPUT_FILE ${debian_out}/changelog.gz
  COMMAND_ERROR_IS_FATAL ANY)
foreach(page IN ITEMS beat_server.1 beat_client.1)
  execute_process(COMMAND gzip -9n -c ${debian_src}/${page} OUTPUT_FILE ${debian_out}/${page}.gz
    COMMAND_ERROR_IS_FATAL ANY)
endforeach()

foreach(component IN ITEMS server client)
  set(BEAT_PACKAGE beat-${component})
  set(BEAT_UNIT ${BEAT_PACKAGE}.service)
  set(BEAT_CONFIG ${BEAT_PACKAGE}.toml)
  set(doc_dir share/doc/${BEAT_PACKAGE})
  set(control ${debian_out}/${BEAT_PACKAGE})
  string(TOUPPER ${component} COMPONENT)

  install(TARGETS beat_${component} RUNTIME DESTINATION bin COMPONENT ${component} EXCLUDE_FROM_ALL)
  install(CODE "set(BEAT_UNIT \"${CMAKE_CURRENT_LIST_DIR}/${BEAT_UNIT}\")
    set(BEAT_UNIT_DIR /lib/systemd/system)
    set(BEAT_DOC_DIR /usr/${doc_dir})"
    SCRIPT ${CMAKE_CURRENT_LIST_DIR}/install_unit.cmake COMPONENT ${component} EXCLUDE_FROM_ALL)
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/${BEAT_CONFIG} DESTINATION /etc/beat
    COMPONENT ${component} EXCLUDE_FROM_ALL)
  install(FILES ${debian_out}/beat_${component}.1.gz DESTINATION share/man/man1
    COMPONENT ${component} EXCLUDE_FROM_ALL)
  install(FILES ${PROJECT_SOURCE_DIR}/README.md ${debian_src}/copyright ${debian_out}/changelog.gz
    DESTINATION ${doc_dir} COMPONENT ${component} EXCLUDE_FROM_ALL)
  install(FILES ${debian_src}/${BEAT_PACKAGE}.lintian-overrides
    DESTINATION share/lintian/overrides RENAME ${BEAT_PACKAGE}
    COMPONENT ${component} EXCLUDE_FROM_ALL)

  # Only the server leaves something of its own behind: its data, in the unit's StateDirectory=
  # (under /var/lib/private with DynamicUser=).
  if(component STREQUAL "server")
    set(BEAT_PURGE_NOTE "\n# Purging also deletes the server's data, /var/lib/beat.")
    set(BEAT_PURGE
      "if [ \"$1\" = purge ]; then\n    rm -rf /var/lib/beat /var/lib/private/beat\nfi\n")
  else()
    set(BEAT_PURGE_NOTE "")
    set(BEAT_PURGE "")
  endif()
  foreach(script IN ITEMS postinst prerm postrm)
    configure_file(${debian_src}/${script}.in ${control}/${script} @ONLY)
  endforeach()
  file(WRITE ${control}/conffiles "/etc/beat/${BEAT_CONFIG}\n")
  set(CPACK_DEBIAN_${COMPONENT}_PACKAGE_NAME ${BEAT_PACKAGE})
  set(CPACK_DEBIAN_${COMPONENT}_PACKAGE_CONTROL_EXTRA
    ${control}/conffiles ${control}/postinst ${control}/prerm ${control}/postrm)
endforeach()

set(CPACK_COMPONENT_SERVER_DESCRIPTION "heartbeat and liveness server for a fleet of hosts
beat_server receives the heartbeats of beat_client agents (and PyHeartBeat
datagrams) over UDP, decides which hosts are up, silent or flapping, and
stores the metrics they carry. It serves them over a put/get TCP protocol
and HTTP: Prometheus /metrics, JSON /hosts and a status page.
The unit beat-server.service is installed but neither enabled nor started.")
set(CPACK_COMPONENT_CLIENT_DESCRIPTION "heartbeat agent sending host metrics to beat servers
beat_client sends this host's heartbeat, with metrics read from /proc, to
the beat servers named in /etc/beat/beat-client.toml, and offers put, get
and a one-shot dry run on the command line.
The unit beat-client.service is installed but neither enabled nor started.")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME beat)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# Installs into the staging directory through DESTDIR, so that /etc/beat and /lib/systemd/system,
# outside the prefix, land in the package.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL server client)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${BEAT_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# CPack's install step would otherwise build the whole tree first (every test and benchmark);
# the packages need only the two binaries, which the target deb builds. `cmake --install` never
# builds anyway.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(CPack)
add_custom_target(deb COMMAND ${CMAKE_CPACK_COMMAND} -G DEB --config CPackConfig.cmake
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR} USES_TERMINAL)
add_dependencies(deb beat_server beat_client)
