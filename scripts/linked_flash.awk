# Sums the kept .text* and .rodata* input sections of model.o and mpgru_rt.o in a GNU ld map
# (-v only=mpgru_rt: the runtime's alone).
/^Linker script and memory map/ { m = 1; next }
!m { next }
/^ \.(text|rodata)/ {
  if (NF == 1) { name = $1; getline; size = $2; file = $3 } else { size = $3; file = $4 }
  if (file ~ ((only == "" ? "(model|mpgru_rt)" : only) "\\.o$")) total += hex(size)
}
function hex(s,    i, c, v) {
  v = 0; s = tolower(s); sub(/^0x/, "", s)
  for (i = 1; i <= length(s); ++i) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
  return v
}
END { print total + 0 }
