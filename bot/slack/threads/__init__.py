"""Working LiveVox SMS threads: `/threads`, the thread cards' buttons, the transfer and resolve modals."""
