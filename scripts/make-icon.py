#!/usr/bin/env python3
"""Draws Roadbook's app icon (icons/icon-source.png, 512x512 RGBA) without image libraries:
a navy rounded square, a winding road, and an amber milestone flag. `npx tauri icon` makes the
platform sizes from it."""
import math, struct, zlib, pathlib

N, SS = 512, 3  # size and supersampling per axis
NAVY, WHITE, AMBER, ROAD = (26, 61, 115), (255, 255, 255), (217, 142, 4), (232, 238, 247)

def rounded_square(x, y, r=104, m=24):
    # inside a square with margin m and corner radius r
    lo, hi = m, N - m
    cx = min(max(x, lo + r), hi - r); cy = min(max(y, lo + r), hi - r)
    return lo <= x <= hi and lo <= y <= hi and (x - cx) ** 2 + (y - cy) ** 2 <= r * r

# The road: a cubic Bezier from bottom left to upper right, sampled densely.
P = [(120, 470), (150, 300), (380, 360), (360, 150)]
def bez(t):
    a, b, c, d = P
    u = 1 - t
    return tuple(u**3*a[i] + 3*u*u*t*b[i] + 3*u*t*t*c[i] + t**3*d[i] for i in range(2))
road = [bez(i / 400) for i in range(401)]

def near_road(x, y, width):
    return min((x - px) ** 2 + (y - py) ** 2 for px, py in road[::2]) <= width * width

def colour(x, y):
    if not rounded_square(x, y):
        return None
    # milestone flag at the road's end: pole and pennant
    if 352 <= x <= 364 and 70 <= y <= 160:
        return WHITE
    if 364 <= x <= 440 and 70 <= y <= 120 and (y - 70) <= (440 - x) * 0.66 + 0.1 and (120 - y) <= (440 - x) * 0.66:
        return AMBER
    if near_road(x, y, 34):
        if near_road(x, y, 4) and int(sum(math.hypot(x - px, y - py) < 6 for px, py in road[::8])) and ((x + y) // 22) % 2 == 0:
            return NAVY
        return ROAD
    return NAVY

rows = []
for y in range(N):
    row = bytearray([0])
    for x in range(N):
        acc = [0, 0, 0, 0]
        for sy in range(SS):
            for sx in range(SS):
                c = colour(x + (sx + 0.5) / SS, y + (sy + 0.5) / SS)
                if c:
                    acc[0] += c[0]; acc[1] += c[1]; acc[2] += c[2]; acc[3] += 255
        n = SS * SS
        a = acc[3] // n
        if a:
            k = acc[3] / 255
            row += bytes([int(acc[0] / k), int(acc[1] / k), int(acc[2] / k), a])
        else:
            row += bytes(4)
    rows.append(bytes(row))

def chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")
out = pathlib.Path(__file__).resolve().parent.parent / "icons" / "icon-source.png"
out.parent.mkdir(exist_ok=True)
out.write_bytes(png)
print(out)
