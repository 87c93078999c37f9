"""Every frame posed once in the background: what playback draws must be the body model's own pose."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app_support import make_reconstruction
from inference.render.normals import VertexNormals
from sm_studio.posed_sequence import SequencePoser

pytestmark = pytest.mark.gui


def test_proxy_full_body_and_joints_match_the_body_model(qtbot) -> None:
    recon = make_reconstruction(70)  # three chunks, the last one partial
    poser = SequencePoser()
    poser.pose(recon, start_frame=40)  # starts at the playhead's chunk, wraps round
    try:
        qtbot.waitUntil(lambda: all(poser.joints(recon, f) is not None for f in (0, 40, 69)), timeout=60000)
        body, ids = poser.body, poser.proxy.vertex_ids
        proxy_normals = VertexNormals(poser.proxy.faces, len(ids))
        for i, person in enumerate(recon.people):
            out = body.pose_motion(person)
            for frame in (0, 33, 69):
                full = out.vertices[frame].numpy()
                np.testing.assert_allclose(poser.proxy_vertices(recon, frame)[i], full[ids], atol=2e-3)
                np.testing.assert_allclose(poser.full_vertices(recon, frame)[i], full, atol=2e-3)
                np.testing.assert_allclose(poser.proxy_normals(recon, frame)[i], proxy_normals(full[ids]), atol=0.02)
                np.testing.assert_allclose(poser.joints(recon, frame)[i], out.joints[frame].numpy(), atol=1e-5)
        edited = replace(recon, people=(recon.people[1], recon.people[0]))  # an edit: a new motion
        poser.pose(edited)
        assert poser.proxy_vertices(recon, 5) is None  # never a mix of the old and the new motion
        qtbot.waitUntil(lambda: poser.proxy_vertices(edited, 69) is not None, timeout=60000)
        np.testing.assert_allclose(poser.proxy_vertices(edited, 69)[0], poser.body.pose_motion(
            recon.people[1]).vertices[69].numpy()[ids], atol=2e-3)
        poser.pose(recon)  # back to the first one (a before/after toggle): kept, not posed again
        assert poser.proxy_vertices(recon, 69) is not None
    finally:
        poser.stop()
