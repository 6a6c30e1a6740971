# lines.fu's twin in Python.
import sys

total = count = n = 0
with open(sys.argv[1]) as f:
    for line in f:
        key, _, value = line.rstrip("\n").partition(",")
        total += int(value)
        if "77" in key:
            count += 1
        n += 1
print(n, total, count)
