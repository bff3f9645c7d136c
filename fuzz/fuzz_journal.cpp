// The label journal (engine/labels/LabelFile, netcanvas-labels.journal): never throws, an
// unreadable line is a note.
#include "fuzz/FuzzTarget.h"

#include "engine/labels/LabelFile.h"

NETCANVAS_FUZZ_TARGET(journal)
{
    netcanvas::parseJournal(std::string(input), "netcanvas-labels.journal");
}
