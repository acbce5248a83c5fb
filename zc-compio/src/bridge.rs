//! Readiness for compio's sockets and pipes, kept where a copy can leave it between polls: one
//! epoll instance per thread, whose own readiness compio watches with a `PollFd`.
//!
//! compio's streams (`TcpStream`, `UnixStream`, the pipe ends) hold no readiness state: compio
//! reads and writes them by completion. zc's copy runs non-blocking syscalls on their fds and,
//! on `WouldBlock`, must return `Pending` with its waker registered, then be woken when the fd
//! is ready. compio offers that through `compio::runtime::fd::PollFd` (an io_uring `POLL_ADD`,
//! or an epoll registration on the polling driver), but a `PollFd` must stay alive while it
//! waits (dropping it cancels the wait), and a borrowed `&mut TcpStream` has no room to keep
//! one. A wait kept anywhere else (a table of `PollFd`s) would keep the socket open after its
//! owner dropped it: an io_uring `POLL_ADD` holds a reference to the file until it completes.
//!
//! So the fds are registered, one-shot, in an epoll instance of the thread's own, which holds
//! no reference to them (the kernel drops a file's registration when the file is closed), and
//! one task on the compio runtime waits for the epoll fd with a `PollFd`, reads the events
//! (`epoll_wait` with a zero timeout) and wakes the copies whose fd is ready. A copy dropped
//! while it waits leaves a waker in the thread's table and nothing in the kernel.
//!
//! # Implementation
//!
//! [`poll_ready`] follows the contract of
//! [`poll_io_then_wait`](zc_traits::adapter::poll_io_then_wait)'s `poll_ready`: `Ready` only
//! for an event delivered since the task last got `Pending`, else `Pending` with the waker
//! registered and the fd armed (`EPOLL_CTL_MOD`, or `ADD` for an fd not yet registered, with
//! `EPOLLONESHOT`). An fd number whose file was closed and reused may deliver one event meant
//! for the old file: the syscall then answers `WouldBlock` and the wait is armed again.
//!
//! The task is spawned on the current compio runtime on the first wait and ends with it (a
//! runtime dropped on this thread drops the task, which forgets the instance; the next
//! runtime's first wait makes a new one).

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use compio::runtime::fd::PollFd;
use rustix::event::epoll::{self, EventData, EventFlags};
use zc_traits::endpoint::Interest;

/// One direction's waiter of an fd.
#[derive(Debug, Default)]
struct Waiter {
    waker: Option<Waker>,
    /// An event for this direction arrived since the waiter last got `Pending`.
    fired: bool,
}

/// The waiters of one fd.
#[derive(Debug, Default)]
struct Slot {
    read: Waiter,
    write: Waiter,
}

impl Slot {
    fn waiter(&mut self, interest: Interest) -> &mut Waiter {
        match interest {
            Interest::Readable => &mut self.read,
            Interest::Writable => &mut self.write,
        }
    }

    /// The events the fd must be armed for: those of the directions still waiting.
    fn events(&self) -> EventFlags {
        let mut events = EventFlags::ONESHOT;
        if self.read.waker.is_some() {
            events |= EventFlags::IN | EventFlags::RDHUP;
        }
        if self.write.waker.is_some() {
            events |= EventFlags::OUT;
        }
        events
    }
}

/// The thread's epoll instance and its waiters.
#[derive(Debug)]
struct Bridge {
    epoll: Rc<OwnedFd>,
    slots: RefCell<HashMap<RawFd, Slot>>,
}

thread_local! {
    static BRIDGE: RefCell<Option<Rc<Bridge>>> = const { RefCell::new(None) };
}

/// Arms `fd` for `events` (one-shot), registering it on first use.
fn arm(epoll: &OwnedFd, fd: BorrowedFd<'_>, events: EventFlags) -> io::Result<()> {
    let data = EventData::new_u64(fd.as_raw_fd() as u64);
    match epoll::modify(epoll, fd, data, events) {
        Err(rustix::io::Errno::NOENT) => Ok(epoll::add(epoll, fd, data, events)?),
        other => Ok(other?),
    }
}

/// Waits until `fd` is ready for `interest`: `Ready(Ok(()))` once for each readiness event
/// delivered since the last `Pending`, otherwise `Pending` with the task's waker registered.
///
/// # Errors
///
/// Outside a compio runtime (`Other`: there is nothing to wait with), and the errors of
/// `epoll_create` and `epoll_ctl` (an fd that epoll refuses, such as a regular file: `EPERM`).
pub(crate) fn poll_ready(
    fd: BorrowedFd<'_>,
    interest: Interest,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    let bridge = current()?;
    let mut slots = bridge.slots.borrow_mut();
    let slot = slots.entry(fd.as_raw_fd()).or_default();
    let waiter = slot.waiter(interest);
    if std::mem::take(&mut waiter.fired) {
        return Poll::Ready(Ok(()));
    }
    match &mut waiter.waker {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        waker => *waker = Some(cx.waker().clone()),
    }
    let events = slot.events();
    if let Err(e) = arm(&bridge.epoll, fd, events) {
        *slot.waiter(interest) = Waiter::default();
        return Poll::Ready(Err(e));
    }
    Poll::Pending
}

/// The thread's bridge, made (with its task on the current compio runtime) on first use.
fn current() -> io::Result<Rc<Bridge>> {
    BRIDGE.with(|cell| {
        if let Some(bridge) = &*cell.borrow() {
            return Ok(bridge.clone());
        }
        if compio::runtime::Runtime::try_with_current(|_| ()).is_err() {
            return Err(io::Error::other(
                "zc-compio: a compio socket or pipe waited outside a compio runtime",
            ));
        }
        let epoll = Rc::new(epoll::create(epoll::CreateFlags::CLOEXEC)?);
        let poll = PollFd::new(epoll.clone())?;
        let bridge = Rc::new(Bridge {
            epoll,
            slots: RefCell::new(HashMap::new()),
        });
        let driver = Driver(bridge.clone());
        compio::runtime::spawn(driver.run(poll)).detach();
        *cell.borrow_mut() = Some(bridge.clone());
        Ok(bridge)
    })
}

/// The task that reads the epoll instance's events; dropping it (with its runtime) forgets the
/// thread's instance.
#[derive(Debug)]
struct Driver(Rc<Bridge>);

impl Driver {
    async fn run(self, poll: PollFd<Rc<OwnedFd>>) {
        let mut events = Vec::with_capacity(64);
        let zero = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // An error of the wait or of `epoll_wait` (neither happens on a valid epoll fd) ends
        // the task; the next wait makes a new instance.
        while poll.read_ready().await.is_ok() {
            events.clear();
            if epoll::wait(
                &*self.0.epoll,
                rustix::buffer::spare_capacity(&mut events),
                Some(&zero),
            )
            .is_err()
            {
                break;
            }
            self.wake(&events);
        }
    }

    /// Wakes the waiters of the fds `events` name. One-shot disarmed each such fd for both
    /// directions, so a direction the event was not for is woken too: it finds no event
    /// (`fired` is unset), runs its syscall, and on `WouldBlock` arms the fd again.
    fn wake(&self, events: &[epoll::Event]) {
        let mut woken = Vec::new();
        {
            let mut slots = self.0.slots.borrow_mut();
            for event in events {
                let Some(slot) = slots.get_mut(&(event.data.u64() as RawFd)) else {
                    continue;
                };
                let flags = event.flags;
                let failed = flags.intersects(EventFlags::ERR | EventFlags::HUP);
                slot.read.fired |= failed || flags.intersects(EventFlags::IN | EventFlags::RDHUP);
                slot.write.fired |= failed || flags.contains(EventFlags::OUT);
                woken.extend(slot.read.waker.take());
                woken.extend(slot.write.waker.take());
            }
        }
        // Outside the borrow: a waker may poll its task at once.
        for waker in woken {
            waker.wake();
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // `try_with`: the thread may be tearing its locals down.
        let _ = BRIDGE.try_with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.as_ref().is_some_and(|b| Rc::ptr_eq(b, &self.0)) {
                *cell = None;
            }
        });
    }
}
