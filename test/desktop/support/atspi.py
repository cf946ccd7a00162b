"""Reads the accessibility tree (AT-SPI) of one process's windows, for the real-window test.

  atspi.py PID find ROLE NAME   -> "x y width height" of the first showing match, in pixels from
                                   its window's top-left corner (GTK's idea of where the window is
                                   on screen can lag behind the window manager's)
  atspi.py PID text             -> every accessible name and text, one per line

WebKitGTK exposes the page's DOM this way, so the test finds a button where a person sees it
and clicks it there with xdotool. Needs Debian's python3-gi and gir1.2-atspi-2.0.
"""
import sys
import warnings

import gi

# get_text_iface is deprecated in newer libatspi, and still the one call every version has.
warnings.filterwarnings('ignore', category=DeprecationWarning)

gi.require_version('Atspi', '2.0')
from gi.repository import Atspi  # noqa: E402


def apps(pid):
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is not None and app.get_process_id() == pid:
            yield app


def walk(node, depth=0):
    if node is None or depth > 60:
        return
    yield node
    for i in range(node.get_child_count()):
        yield from walk(node.get_child_at_index(i), depth + 1)


def showing(node):
    states = node.get_state_set()
    return states.contains(Atspi.StateType.SHOWING) and states.contains(Atspi.StateType.VISIBLE)


def main():
    pid, command = int(sys.argv[1]), sys.argv[2]
    for app in apps(pid):
        for node in walk(app):
            try:
                role, name = node.get_role_name(), node.get_name() or ''
            except Exception:  # a node that went away while walking
                continue
            if command == 'find' and role == sys.argv[3] and name == sys.argv[4] and showing(node):
                ext = node.get_extents(Atspi.CoordType.WINDOW)
                print(ext.x, ext.y, ext.width, ext.height)
                return 0
            if command == 'text':
                if name:
                    print(name)
                text = node.get_text_iface() if hasattr(node, 'get_text_iface') else None
                if text is not None:
                    print(Atspi.Text.get_text(text, 0, Atspi.Text.get_character_count(text)))
    return 1 if command == 'find' else 0


sys.exit(main())
