// librabbitmq (apt librabbitmq-dev, pkg-config `librabbitmq`) for Swift: its headers, plus what Swift cannot reach
// directly — the variadic amqp_login, and method ids and property flags defined as macros with casts.
#ifndef HYPERION_CRABBITMQ_SHIM_H
#define HYPERION_CRABBITMQ_SHIM_H

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>

/// Logs in with SASL PLAIN on the default channel limit.
static inline amqp_rpc_reply_t hyperion_amqp_login(amqp_connection_state_t state, const char *vhost, int heartbeat,
                                                   const char *user, const char *password) {
    return amqp_login(state, vhost, 0, 131072, heartbeat, AMQP_SASL_METHOD_PLAIN, user, password);
}

static const amqp_method_number_t HYPERION_AMQP_BASIC_ACK = AMQP_BASIC_ACK_METHOD;
static const amqp_method_number_t HYPERION_AMQP_BASIC_NACK = AMQP_BASIC_NACK_METHOD;
static const amqp_method_number_t HYPERION_AMQP_BASIC_CANCEL = AMQP_BASIC_CANCEL_METHOD;
static const amqp_method_number_t HYPERION_AMQP_BASIC_RETURN = AMQP_BASIC_RETURN_METHOD;
static const amqp_method_number_t HYPERION_AMQP_CHANNEL_CLOSE = AMQP_CHANNEL_CLOSE_METHOD;
static const amqp_method_number_t HYPERION_AMQP_CONNECTION_CLOSE = AMQP_CONNECTION_CLOSE_METHOD;

static const amqp_flags_t HYPERION_AMQP_CONTENT_TYPE = AMQP_BASIC_CONTENT_TYPE_FLAG;
static const amqp_flags_t HYPERION_AMQP_DELIVERY_MODE = AMQP_BASIC_DELIVERY_MODE_FLAG;
static const amqp_flags_t HYPERION_AMQP_CORRELATION_ID = AMQP_BASIC_CORRELATION_ID_FLAG;
static const amqp_flags_t HYPERION_AMQP_REPLY_TO = AMQP_BASIC_REPLY_TO_FLAG;
static const amqp_flags_t HYPERION_AMQP_MESSAGE_ID = AMQP_BASIC_MESSAGE_ID_FLAG;
static const amqp_flags_t HYPERION_AMQP_EXPIRATION = AMQP_BASIC_EXPIRATION_FLAG;

#endif
