/* Bounded blocking queue: a ring under one mutex and two conditions. */
#include "queue.h"

#include <assert.h>
#include <stdlib.h>

#include "util.h"

void queue_init(struct queue *q, size_t cap)
{
	assert(cap > 0);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	q->items = xcalloc(cap, sizeof *q->items);
	q->cap = cap;
	q->head = q->len = 0;
	q->closed = false;
}

void queue_release(struct queue *q)
{
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->items);
}

void queue_push(struct queue *q, void *item)
{
	pthread_mutex_lock(&q->lock);
	while (q->len == q->cap)
		pthread_cond_wait(&q->not_full, &q->lock);
	q->items[(q->head + q->len) % q->cap] = item;
	q->len++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

void *queue_pop(struct queue *q)
{
	void *item = NULL;
	pthread_mutex_lock(&q->lock);
	while (q->len == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->len) {
		item = q->items[q->head];
		q->head = (q->head + 1) % q->cap;
		q->len--;
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->lock);
	return item;
}

void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}
