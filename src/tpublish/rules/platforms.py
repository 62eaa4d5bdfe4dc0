"""The wheel platform tags PyPI accepts (``warehouse/utils/wheel.py``: ``is_valid_platform_tag``).

A tag is accepted when it is in the static list, or when its first ``_``-separated word names a
known platform and the whole tag matches that platform's pattern with a known architecture.
Warehouse's patterns are anchored (``^...$``), so the whole tag must match: trailing text after a
valid tag (``ios_13_0_arm64_iphoneos_extra``) is refused. Tags arrive lower-cased, as
``packaging.tags.Tag`` stores them (``MacOSX_10_9_X86_64`` is checked as ``macosx_10_9_x86_64``).
"""

from __future__ import annotations

import re

STATIC = frozenset(
    {
        "any",
        "win32",
        "win_arm64",
        "win_amd64",
        "win_ia64",
        "manylinux1_x86_64",
        "manylinux1_i686",
        "manylinux2010_x86_64",
        "manylinux2010_i686",
        "manylinux2014_x86_64",
        "manylinux2014_i686",
        "manylinux2014_aarch64",
        "manylinux2014_armv7l",
        "manylinux2014_ppc64",
        "manylinux2014_ppc64le",
        "manylinux2014_s390x",
        "linux_armv6l",
        "linux_armv7l",
    }
)
# The first word of every tag PyPI can accept (the keys of Warehouse's display names).
PLATFORM_WORDS = frozenset(
    {
        "any",
        "win",
        "win32",
        "manylinux",
        "manylinux2014",
        "manylinux2010",
        "manylinux1",
        "musllinux",
        "macosx",
        "ios",
        "iphoneos",
        "iphonesimulator",
        "android",
        "pyemscripten",
    }
)
_MACOS = re.compile(r"^macosx_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.*)$")
MACOS_ARCHES = frozenset(
    {"ppc", "ppc64", "i386", "x86_64", "arm64", "intel", "fat", "fat3", "fat64", "universal"}
    | {"universal2"}
)
# macOS 11 and later: only "<major>_0" (10.x counts minors: any minor is fine).
MACOS_MAJORS = frozenset({"11", "12", "13", "14", "15", "26"})
_LINUX = re.compile(r"^(?P<libc>many|musl)linux_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.*)$")
MUSLLINUX_ARCHES = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"})
MANYLINUX_ARCHES = MUSLLINUX_ARCHES | {"ppc64"}
_IOS = re.compile(
    r"^ios_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.*)_(?P<sdk>iphoneos|iphonesimulator)$"
)
IOS_ARCHES = frozenset({"arm64", "x86_64"})
_ANDROID = re.compile(r"^android_(?P<api>\d+)_(?P<arch>.*)$")
ANDROID_ARCHES = frozenset({"armeabi_v7a", "arm64_v8a", "x86", "x86_64"})
_EMSCRIPTEN = re.compile(r"^pyemscripten_(?P<major>\d+)_(?P<minor>\d+)_wasm32$")


def valid_platform_tag(tag: str) -> bool:
    """Whether PyPI accepts wheels for platform ``tag`` (as ``packaging`` gives it: lower case)."""
    if tag in STATIC:
        return True
    if tag.split("_", 1)[0] not in PLATFORM_WORDS:
        return False
    if m := _MACOS.match(tag):
        major_ok = m["major"] == "10" or (m["major"] in MACOS_MAJORS and m["minor"] == "0")
        if major_ok and m["arch"] in MACOS_ARCHES:
            return True
    if m := _LINUX.match(tag):
        arches = MUSLLINUX_ARCHES if m["libc"] == "musl" else MANYLINUX_ARCHES
        if m["arch"] in arches:
            return True
    if (m := _IOS.match(tag)) and m["arch"] in IOS_ARCHES:
        return True
    if (m := _ANDROID.match(tag)) and m["arch"] in ANDROID_ARCHES:
        return True
    return _EMSCRIPTEN.match(tag) is not None
