#!/usr/bin/env python3
"""Puts a WAV file on a track of a saved Ardour 7 session (Ardour 7.3's headless Lua cannot
import audio), as the region a user would get by importing it at the session start, and sets
the session range to the longest file.

usage: add_regions.py SESSION.ardour TRACK=FILE.wav:FRAMES:CHANNELS [...]
"""
import os
import sys
import xml.etree.ElementTree as ET

session = sys.argv[1]
tree = ET.parse(session)
root = tree.getroot()
sources, regions, locations = root.find("Sources"), root.find("Regions"), root.find("Locations")
playlists = {p.get("name"): p for p in root.find("Playlists").findall("Playlist")}
routes = {r.get("name"): r for r in root.find("Routes").findall("Route")}
next_id = 900000
longest = 0


def new_id():
    global next_id
    next_id += 1
    return str(next_id)


for arg in sys.argv[2:]:
    track, spec = arg.split("=", 1)
    path, frames, channels = spec.rsplit(":", 2)
    path, frames, channels = os.path.abspath(path), int(frames), int(channels)
    longest = max(longest, frames)
    # The track's playlist: the one its diskstream names (audio-playlist), else by name.
    route = routes[track]
    name = route.get("audio-playlist")
    playlist = next((p for p in playlists.values() if p.get("id") == name), None)
    if playlist is None:
        playlist = playlists.get(name) or playlists[track]
    source_ids = []
    for c in range(channels):
        sid = new_id()
        source_ids.append(sid)
        ET.SubElement(sources, "Source", {"name": os.path.basename(path), "type": "audio",
                                          "flags": "", "id": sid, "channel": str(c),
                                          "origin": path})

    def region(whole):
        a = {"name": os.path.splitext(os.path.basename(path))[0] + ("" if whole else ".1"),
             "id": new_id(), "type": "audio", "whole-file": "1" if whole else "0",
             "start": "0", "length": str(frames), "position": "0", "channels": str(channels),
             "layering-index": "0", "scale-amplitude": "1", "envelope-active": "0",
             "fade-in-active": "0", "fade-out-active": "0", "default-fade-in": "0",
             "default-fade-out": "0"}
        for c, sid in enumerate(source_ids):
            a["source-%d" % c] = sid
            a["master-source-%d" % c] = sid
        return a

    ET.SubElement(regions, "Region", region(True))
    ET.SubElement(playlist, "Region", region(False))
    print("region on", track, "playlist", playlist.get("name"), "frames", frames)

ET.SubElement(locations, "Location", {"id": new_id(), "name": "session", "start": "0",
                                      "end": str(longest), "flags": "IsSessionRange",
                                      "locked": "0", "timestamp": "0", "cue": "0"})
tree.write(session, xml_declaration=True, encoding="UTF-8")
