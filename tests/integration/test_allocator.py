"""The server allocates with the allocator it was built for: jemalloc in the
normal build (CMakeLists.txt, LOFT_JEMALLOC; bench/RESULTS.md has why),
glibc's malloc under the sanitizers. Read from the running server's memory
map, so a link that silently dropped the library fails here."""

import os

import pytest


def mapped_libraries(pid):
    with open('/proc/%d/maps' % pid) as f:
        return {line.split()[-1] for line in f if len(line.split()) >= 6}


def test_the_server_runs_on_the_allocator_it_was_built_for(loft):
    expected = os.environ.get('LOFT_ALLOCATOR')
    if expected not in ('jemalloc', 'system'):
        pytest.skip('LOFT_ALLOCATOR not set (run through ctest)')
    loft.start('imap')
    libs = mapped_libraries(loft.pid)
    with_jemalloc = any('libjemalloc' in os.path.basename(p) for p in libs)
    assert any('libc.so' in os.path.basename(p) for p in libs), sorted(libs)  # the map was read
    assert with_jemalloc == (expected == 'jemalloc'), sorted(libs)
