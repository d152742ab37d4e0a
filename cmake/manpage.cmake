# manpage.cmake - rapport.1 from the program's own help (cmake -P):
#   cmake -DRAPPORT=build/rapport -DOUT=rapport.1 -DVERSION=0.1.0 -P cmake/manpage.cmake
# NAME and SYNOPSIS, then `rapport help` and each command's `rapport help CMD`
# as sections of preformatted text: the man page says what --help says.
set(commands run summary merge validate show reference calibrate)
execute_process(COMMAND ${RAPPORT} help OUTPUT_VARIABLE overview RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${RAPPORT} help: exit ${rc}")
endif()
# roff: a backslash is \e, and a line starting with . or ' is escaped with \&
function(roff text out)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
string(TIMESTAMP today "%Y-%m-%d" UTC)
roff("${overview}" body)
set(page ".TH RAPPORT 1 \"${today}\" \"rapport ${VERSION}\" \"User Commands\"\n"
         ".SH NAME\nrapport \\- simulate cultural distance, therapeutic alliance and dropout\n"
         ".SH SYNOPSIS\n.B rapport\n.I COMMAND\n[\n.I ARGS\n]\n"
         ".SH DESCRIPTION\n.nf\n${body}.fi\n")
foreach(cmd ${commands})
  execute_process(COMMAND ${RAPPORT} help ${cmd} OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${RAPPORT} help ${cmd}: exit ${rc}")
  endif()
  string(TOUPPER "${cmd}" title)
  roff("${text}" body)
  string(APPEND page ".SH \"RAPPORT ${title}\"\n.nf\n${body}.fi\n")
endforeach()
string(APPEND page ".SH SEE ALSO\nREADME.md, docs/SCENARIO.md, docs/FORMAT.md, docs/MODEL.md in share/doc/rapport\n")
file(WRITE ${OUT} "${page}")
