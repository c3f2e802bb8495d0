# Writes OUTPUT, a C++ source defining `const char* const NAME` with the contents of INPUT.
file(READ "${INPUT}" CONTENT)
file(WRITE "${OUTPUT}" "// Generated from ${INPUT}; do not edit.\nnamespace ccgauge::embedded {\nextern const char* const ${NAME};\nconst char* const ${NAME} = R\"ccgauge_embed(${CONTENT})ccgauge_embed\";\n}\n")
