/* A bounded blocking queue of pointers for handing work between threads.
 * Push blocks while the queue is full, pop while it is empty; after
 * queue_close, pop drains what is left and then returns NULL. Thread-safe. */
#ifndef PIISCAN_QUEUE_H
#define PIISCAN_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	void **items;
	size_t cap, head, len;
	bool closed;
};

void queue_init(struct queue *q, size_t cap);
void queue_release(struct queue *q);
void queue_push(struct queue *q, void *item);
/* The oldest item, or NULL once the queue is closed and empty. */
void *queue_pop(struct queue *q);
void queue_close(struct queue *q);

#endif
