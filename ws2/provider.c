/* The io_uring transport provider's table (see ws2_private.h). */
#include "ws2_private.h"

const struct ws2_provider ws2_uring_provider = {
    .name = "ws2uring io_uring provider",
    .socket = wsp_socket,
    .bind = wsp_bind,
    .listen = wsp_listen,
    .accept = wsp_accept,
    .connect = wsp_connect,
    .shutdown = wsp_shutdown,
    .send = wsp_send,
    .recv = wsp_recv,
    .getsockname = wsp_getsockname,
    .getpeername = wsp_getpeername,
    .ioctl = wsp_ioctl,
    .getsockopt = wsp_getsockopt,
    .setsockopt = wsp_setsockopt,
    .event_select = wsp_event_select,
    .enum_network_events = wsp_enum_network_events,
    .duplicate = wsp_duplicate,
    .select = wsp_select,
};
