# concat.fu's twin in Python (in a function: CPython appends in place to a local string that has
# one reference; at module level it copies every time).
import sys


def main():
    n = int(sys.argv[1])
    s = ""
    for i in range(n):
        s += str(i)
        s += ","
    check = 0
    for b in s.encode():
        check = (check * 31 + b) % 1000000007
    print(len(s), check)


main()
