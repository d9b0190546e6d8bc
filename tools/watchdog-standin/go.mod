module oscar-faas/tools/watchdog-standin

go 1.22
