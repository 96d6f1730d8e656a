"""Fixtures for Loft's integration tests.

Environment: LOFT_BIN (default <repo>/build/loft), LOFT_SHARED (default
<repo>/../shared). Set LOFT_KEEP_TMP=1 to keep the temporary directories.

`loft` gives each test its own installation (temporary data directory,
configuration with a self-signed certificate made by the openssl CLI); the
test adds users and starts the server with exactly the listeners it needs:

    def test_x(loft):
        loft.add_user('alice', 'alice-pw')
        loft.start('pop3', 'lmtp')
        ... loft.port('pop3') ...

At the end the server is stopped with SIGTERM and must exit 0 without any
sign of a crash in its log.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import loftlib  # noqa: E402


def pytest_addoption(parser):
    # tests/CMakeLists.txt runs the suite with this flag (meant for
    # pytest-timeout, which is not installed); accept it so ctest works.
    parser.addoption('--timeout-disabled', action='store_true', default=False,
                     help='accepted and ignored (for the ctest entry)')


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: takes more than a few seconds')


@pytest.fixture(scope='session')
def loft_bin():
    if not (os.path.isfile(loftlib.LOFT_BIN) and os.access(loftlib.LOFT_BIN, os.X_OK)):
        pytest.fail('loft binary not found at %s (set LOFT_BIN)' % loftlib.LOFT_BIN)
    return loftlib.LOFT_BIN


@pytest.fixture(scope='session')
def shared_dir():
    if not os.path.isdir(loftlib.LOFT_SHARED):
        pytest.fail('shared directory not found at %s (set LOFT_SHARED)' % loftlib.LOFT_SHARED)
    return loftlib.LOFT_SHARED


@pytest.fixture(scope='session')
def certs_dir():
    d = loftlib.make_base_dir('loft-it-certs-')
    yield d
    if not os.environ.get('LOFT_KEEP_TMP'):
        loftlib.rmtree(d)


@pytest.fixture(scope='session')
def tls_cert(certs_dir):
    """(cert.pem, key.pem): self-signed for localhost / 127.0.0.1 / ::1."""
    return loftlib.make_cert(certs_dir)


@pytest.fixture
def base_dir():
    d = loftlib.make_base_dir()
    yield d
    if not os.environ.get('LOFT_KEEP_TMP'):
        loftlib.rmtree(d)


@pytest.fixture
def loft(loft_bin, base_dir, tls_cert):
    srv = loftlib.Loft(base_dir, *tls_cert)
    yield srv
    srv.cleanup()


@pytest.fixture
def loft_nocert(loft_bin, base_dir):
    """An installation without a configured certificate (one is made into
    <data>/tls/ on first start)."""
    srv = loftlib.Loft(base_dir)
    yield srv
    srv.cleanup()
