"""The timeline editor: an edit of a finished ad or talking video as a versioned document
(edits), built from what the studio knows (sources), changed by validated operations with undo
and redo, previewed by a fast proxy and exported in one encode as a durable job (renders), and
handed to a real editor as OpenTimelineIO, CMX 3600 EDL and FCP XML (handoff)."""
